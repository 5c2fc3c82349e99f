"""The registry's representative records, mirrored from its feed, and the `enterprise_rep` grants they give."""
