"""Send: every mail and its delivery. Which mails a run sends (the draft to leadership, feedback
and receipts to units, reminders and the secretariat's list), rendering them, and delivery over
SMTP with one retry policy and a ledger, so a mail is never lost and never sent twice. The last
stage: may import every other stage and core.
"""
