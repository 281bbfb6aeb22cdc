"""The command line: `python main.py <verb>`, thin handlers over the use cases."""
