"""Contract intelligence from the provider's OpenAPI spec, offline.

* :mod:`.check` checks every pact interaction against the spec (bi-directional contract testing):
  the operation exists, the request is valid for it, the response status is declared, and the
  response body the consumer recorded is valid against the declared schema.
* :mod:`.diff` classifies the changes between two versions of a spec and judges each breaking
  change against the pacts: one a consumer's recorded interactions depend on is an error.
"""
