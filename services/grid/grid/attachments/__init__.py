"""attachments: photos and files on hazards, grid events and inspections"""
