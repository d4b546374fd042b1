// The two ways a GraphQL builtin fails besides bad syntax (lexer.ts) and undecodable ASTs
// (go-structs.ts): OPA's validator rejects the document (OPA answers false, or fails), or the
// document uses a construct Meshward does not judge as OPA does (every builtin fails, never a
// different answer).

/** A schema or query OPA's validator rejects. */
export class GraphqlInvalid extends Error {}

/** A construct OPA accepts that Meshward does not judge the same way. */
export class UnsupportedGraphql extends Error {}
