"""Print-ready documents: PDF (reportlab) and Excel (openpyxl). Never recomputes a rule."""
