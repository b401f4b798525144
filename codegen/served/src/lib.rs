//! Nothing of its own: the tests in `tests/` include the server code `build.rs`
//! generates from each spec of `specs/` and serve requests through it, so that what the
//! generator writes is proven by the answers it gives, not only by the text it is.
