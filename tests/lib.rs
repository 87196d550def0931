//! Shared end-to-end test support lives in `e2e/`; this library is empty on purpose.
