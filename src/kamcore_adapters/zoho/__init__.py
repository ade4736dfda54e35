"""Zoho CRM adapter: sources ``zoho:PROFILE`` and sinks ``zoho:PROFILE`` (install ``kamcore[zoho]``)."""
