//! The ids of the two concepts every crate passes around: a stored item and a narrative.
//!
//! Each is a `#[repr(transparent)]` newtype over one integer, so it costs nothing over the bare number,
//! serialises as that number (`#[serde(transparent)]`: JSON is unchanged), prints as it and parses from
//! it. With the `rusqlite` and `postgres` features the databases bind and read them directly.

use std::fmt;
use std::num::{ParseIntError, TryFromIntError};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A stored item's id: the store's row id (a BIGINT in both databases). Callers that number a stream
/// without a store (a line counter) make one from their counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[repr(transparent)]
pub struct ItemId(pub i64);

/// A narrative's id: handed out densely, in order of creation and starting at 1, by the narratives index,
/// which keeps them as `u32` to stay compact; the databases keep them in a BIGINT, and reading one back
/// checks that it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[repr(transparent)]
pub struct NarrativeId(pub u32);

impl ItemId {
    /// The bare number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl NarrativeId {
    /// The bare number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The id as a position in a dense table (the narratives index's own numbering).
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for NarrativeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for ItemId {
    type Err = ParseIntError;
    fn from_str(s: &str) -> Result<ItemId, ParseIntError> {
        s.parse().map(ItemId)
    }
}

impl FromStr for NarrativeId {
    type Err = ParseIntError;
    fn from_str(s: &str) -> Result<NarrativeId, ParseIntError> {
        s.parse().map(NarrativeId)
    }
}

impl From<i64> for ItemId {
    fn from(id: i64) -> ItemId {
        ItemId(id)
    }
}

impl From<ItemId> for i64 {
    fn from(id: ItemId) -> i64 {
        id.0
    }
}

impl From<u32> for NarrativeId {
    fn from(id: u32) -> NarrativeId {
        NarrativeId(id)
    }
}

impl From<NarrativeId> for u32 {
    fn from(id: NarrativeId) -> u32 {
        id.0
    }
}

impl From<NarrativeId> for i64 {
    fn from(id: NarrativeId) -> i64 {
        i64::from(id.0)
    }
}

/// A BIGINT from a database or a request: refused when it is no narrative id (negative or past `u32`).
impl TryFrom<i64> for NarrativeId {
    type Error = TryFromIntError;
    fn try_from(id: i64) -> Result<NarrativeId, TryFromIntError> {
        u32::try_from(id).map(NarrativeId)
    }
}

#[cfg(feature = "rusqlite")]
mod sqlite {
    use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

    use super::{ItemId, NarrativeId};

    impl ToSql for ItemId {
        fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
            Ok(ToSqlOutput::from(self.0))
        }
    }

    impl FromSql for ItemId {
        fn column_result(value: ValueRef<'_>) -> FromSqlResult<ItemId> {
            i64::column_result(value).map(ItemId)
        }
    }

    impl ToSql for NarrativeId {
        fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
            Ok(ToSqlOutput::from(i64::from(self.0)))
        }
    }

    impl FromSql for NarrativeId {
        fn column_result(value: ValueRef<'_>) -> FromSqlResult<NarrativeId> {
            let id = i64::column_result(value)?;
            NarrativeId::try_from(id).map_err(|_| FromSqlError::OutOfRange(id))
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::error::Error;

    use bytes::BytesMut;
    use postgres_types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

    use super::{ItemId, NarrativeId};

    type BoxError = Box<dyn Error + Sync + Send>;

    impl ToSql for ItemId {
        fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
            self.0.to_sql(ty, out)
        }
        fn accepts(ty: &Type) -> bool {
            <i64 as ToSql>::accepts(ty)
        }
        to_sql_checked!();
    }

    impl<'a> FromSql<'a> for ItemId {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<ItemId, BoxError> {
            i64::from_sql(ty, raw).map(ItemId)
        }
        fn accepts(ty: &Type) -> bool {
            <i64 as FromSql>::accepts(ty)
        }
    }

    impl ToSql for NarrativeId {
        fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
            i64::from(self.0).to_sql(ty, out)
        }
        fn accepts(ty: &Type) -> bool {
            <i64 as ToSql>::accepts(ty)
        }
        to_sql_checked!();
    }

    impl<'a> FromSql<'a> for NarrativeId {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<NarrativeId, BoxError> {
            let id = i64::from_sql(ty, raw)?;
            NarrativeId::try_from(id).map_err(|_| format!("narrative id {id} is out of range").into())
        }
        fn accepts(ty: &Type) -> bool {
            <i64 as FromSql>::accepts(ty)
        }
    }
}

#[cfg(feature = "utoipa")]
mod schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::{RefOr, Schema};
    use utoipa::PartialSchema;

    use super::{ItemId, NarrativeId};

    fn int64() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .into()
    }

    /// An integer, int64, as the bare number always was in the API document.
    impl PartialSchema for ItemId {
        fn schema() -> RefOr<Schema> {
            int64()
        }
    }

    /// An integer, int64, as the bare number always was in the API document.
    impl PartialSchema for NarrativeId {
        fn schema() -> RefOr<Schema> {
            int64()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_print_and_parse_as_bare_numbers() {
        assert_eq!(serde_json::to_string(&ItemId(42)).unwrap(), "42");
        assert_eq!(serde_json::to_string(&NarrativeId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<ItemId>("-3").unwrap(), ItemId(-3));
        assert_eq!(serde_json::from_str::<NarrativeId>("7").unwrap(), NarrativeId(7));
        assert_eq!(ItemId(42).to_string(), "42");
        assert_eq!("7".parse::<NarrativeId>().unwrap(), NarrativeId(7));
        assert!("-1".parse::<NarrativeId>().is_err());
    }

    #[test]
    fn a_bigint_past_u32_is_no_narrative_id() {
        assert_eq!(NarrativeId::try_from(5i64), Ok(NarrativeId(5)));
        assert!(NarrativeId::try_from(-1i64).is_err());
        assert!(NarrativeId::try_from(i64::from(u32::MAX) + 1).is_err());
    }
}
