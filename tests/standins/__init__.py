"""Local stand-ins for the cloud services Bhakti talks to: real HTTP servers on 127.0.0.1:0.

Each one speaks its service's wire format closely enough for the official SDK to talk to it,
records every request, and can be told to answer the next few calls with an error or with
garbage, so tests exercise the real client code paths (retries, fallbacks, parsing).
"""
