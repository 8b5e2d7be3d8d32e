"""Publication tables: Table 1, response and MRD, adverse events, survival; CSV, Markdown, XLSX and DOCX."""
