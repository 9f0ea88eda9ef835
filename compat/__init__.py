"""Adapters for the API shapes older designs of Bhakti served (docs/compat-api.md).

Every call here translates an older request into a call of the same services `/api/v1` uses
(so the same API-key auth, quotas, rate limits, Idempotency-Keys and audit apply) and the answer
back into the older shape. `/api/v1` stays the one documented API; nothing else imports this
package except the URL roots.
"""
