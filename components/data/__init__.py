"""The Data page: mapping form, validation report, preview, loading files and saved datasets."""
