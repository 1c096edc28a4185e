"""Printable documents: the legal slips of the one-stop counter and the signed results.

Pure (no database, no Flask): plain dataclasses in, PDF bytes out (`slips`, on the page of
`pdf`); `signing` signs a PDF with a PKCS#12 key (PAdES, pyHanko), verifies one against a
trust root, and makes the demo PKI.
"""
