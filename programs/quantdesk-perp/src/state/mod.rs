pub mod global;
pub mod market;
pub mod order;
pub mod user;

pub use global::*;
pub use market::*;
pub use order::*;
pub use user::*;
