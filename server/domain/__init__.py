"""Pure domain rules of HurriNet Dispatch.

Nothing in this package performs I/O or imports websockets, textual or sqlmodel: every rule of
`shared/domain.md` lives here as plain Python that the handlers, the store and the tests call.
"""
