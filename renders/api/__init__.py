"""The render endpoints: jobs, their files and webhooks, script drafting (see docs/api.md).

Built from the project's API toolkit, `bhakti.api`; this app's own exceptions answer through
`renders.api.errors`.
"""
