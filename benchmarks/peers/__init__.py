"""Peers: the pelvic indicators written the way an analyst would, in pandas and in DuckDB SQL."""
