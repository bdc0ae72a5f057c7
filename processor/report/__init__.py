"""``tokentrace report``: the report document and its terminal and HTML renderings."""
