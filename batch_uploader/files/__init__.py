"""Files: carrier spreadsheets read into tables of text, and the results and rows to fix written."""
