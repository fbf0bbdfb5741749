//! State mutation shared by the instruction handlers; the math stays pure in math/.
pub mod margin;
pub mod oracle;
pub mod position;
