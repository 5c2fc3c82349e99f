"""attachments: files of service requests (a business licence, an invoice)"""
