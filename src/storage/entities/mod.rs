//! The tables as sea-orm entities. Only `storage` and the domain services use them;
//! the domain turns rows into its own types before anything leaves it.

pub mod images;
pub mod orders;
pub mod products;
pub mod profiles;
pub mod users;
