//! Documents (a step's substance, an audit entry's detail, the upward report) as
//! `google.protobuf.Struct`: structured on the wire, so a client reads fields instead of
//! parsing JSON text, and JSON in the database.

use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

/// A JSON object as a `Struct`; anything else is wrapped as `{"value": ...}`.
pub fn to_struct(json: &serde_json::Value) -> Struct {
    match json {
        serde_json::Value::Object(fields) => Struct {
            fields: fields
                .iter()
                .map(|(key, value)| (key.clone(), to_value(value)))
                .collect(),
        },
        other => Struct {
            fields: [("value".to_string(), to_value(other))].into_iter().collect(),
        },
    }
}

fn to_value(json: &serde_json::Value) -> Value {
    let kind = match json {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(flag) => Kind::BoolValue(*flag),
        // Protobuf numbers are doubles: epoch milliseconds (< 2^53) stay exact.
        serde_json::Value::Number(number) => Kind::NumberValue(number.as_f64().unwrap_or_default()),
        serde_json::Value::String(text) => Kind::StringValue(text.clone()),
        serde_json::Value::Array(items) => Kind::ListValue(ListValue {
            values: items.iter().map(to_value).collect(),
        }),
        serde_json::Value::Object(_) => Kind::StructValue(to_struct(json)),
    };
    Value { kind: Some(kind) }
}

/// A `Struct` as a JSON object (whole numbers come back as integers).
pub fn to_json(document: &Struct) -> serde_json::Value {
    serde_json::Value::Object(
        document
            .fields
            .iter()
            .map(|(key, value)| (key.clone(), value_json(value)))
            .collect(),
    )
}

fn value_json(value: &Value) -> serde_json::Value {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(flag)) => serde_json::Value::Bool(*flag),
        Some(Kind::NumberValue(number)) => {
            if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
                serde_json::Value::from(*number as i64)
            } else {
                serde_json::Number::from_f64(*number)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Some(Kind::StringValue(text)) => serde_json::Value::String(text.clone()),
        Some(Kind::ListValue(list)) => serde_json::Value::Array(list.values.iter().map(value_json).collect()),
        Some(Kind::StructValue(inner)) => to_json(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_with_exact_times_and_nesting() {
        let document = serde_json::json!({
            "reported_at_ms": 1_795_835_700_123_i64,
            "groups": ["leadership", "assessment-handling"],
            "duty_posts": [{"post": "on_site_handling", "staff_id": "s-004"}],
            "temperature": 37.6,
            "confirmed": false,
            "note": null,
        });
        assert_eq!(to_json(&to_struct(&document)), document);
        let wrapped = to_struct(&serde_json::json!([1, 2]));
        assert_eq!(to_json(&wrapped), serde_json::json!({"value": [1, 2]}));
    }
}
