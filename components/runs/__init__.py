"""The Runs page: saved runs compared, managed, imported and repaired, and their figures."""
