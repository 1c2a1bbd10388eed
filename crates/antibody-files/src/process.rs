//! Process memory reading (being written).
