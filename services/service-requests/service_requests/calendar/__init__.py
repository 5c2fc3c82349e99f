"""`/v1/working-calendar`: the operator's table of holidays and make-up working days, per year."""
