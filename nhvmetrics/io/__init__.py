"""Reading exports and writing outputs."""
