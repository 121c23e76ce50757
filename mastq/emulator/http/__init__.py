"""
The HTTP side of the local MAST: the WSGI application, jobs, output formats, downloads and
injected faults.
"""
