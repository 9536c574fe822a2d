"""The remote sources: PubMed through NCBI E-utilities (search, fetch), NIH iCite (citation
signals), and the PubMed XML parser with the models it fills."""
