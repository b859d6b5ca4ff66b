"""Qt item models over query results (plain ``QAbstractTableModel``s, no proxies)."""
