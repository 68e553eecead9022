"""Rating rounds: a form per rater out (rounds), returns in from a folder, .eml files or a mailbox (sources,
collect), each rater group's score into HR's record of the month (groups), and where a round stands (status)."""
