//! The codec every generated server and client uses: prost's, plus one check on every
//! decoded request, so that no handler has to remember it: each text field has a
//! maximum length, and a longer one is refused with INVALID_ARGUMENT naming the field
//! (`intervals[3].person.person_id`). Free text (notes, reasons, statements, a
//! residence) may hold [`MAX_FREE_TEXT_CHARS`]; ids, names and codes [`MAX_TEXT_CHARS`];
//! a roster CSV is bounded only by the message size.

use prost::bytes::Buf;
use prost_reflect::{DynamicMessage, Value};
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};
use tonic_types::{ErrorDetails, StatusExt};

/// Longest id, name, code or other short text, in characters.
pub const MAX_TEXT_CHARS: usize = 256;
/// Longest free text, in characters.
pub const MAX_FREE_TEXT_CHARS: usize = 4_000;
/// Fields that hold free text.
pub const FREE_TEXT_FIELDS: [&str; 10] = [
    "action",
    "description",
    "message",
    "note",
    "notes",
    "reason",
    "residence",
    "statement",
    "summary",
    "transport",
];
/// Fields bounded only by the message size (a whole file).
pub const WHOLE_FILE_FIELDS: [&str; 1] = ["csv"];

/// prost's codec with the request checks.
#[derive(Debug, Clone)]
pub struct CheckedCodec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Default for CheckedCodec<T, U> {
    fn default() -> Self {
        Self {
            inner: ProstCodec::default(),
        }
    }
}

impl<T, U> Codec for CheckedCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + prost::Name + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = CheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        CheckedDecoder {
            inner: self.inner.decoder(),
        }
    }
}

/// prost's decoder; requests are checked after decoding.
#[derive(Debug)]
pub struct CheckedDecoder<U> {
    inner: ProstDecoder<U>,
}

impl<U: prost::Message + prost::Name + Default> Decoder for CheckedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        // Only requests: answers are the services' own (a report may be long).
        if !U::NAME.ends_with("Request") {
            return self.inner.decode(buf);
        }
        let bytes = buf.copy_to_bytes(buf.remaining());
        let request = U::decode(bytes.clone()).map_err(|error| Status::internal(error.to_string()))?;
        check_texts(&U::full_name(), bytes)?;
        Ok(Some(request))
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.inner.buffer_settings()
    }
}

/// Refuses the first text field of an encoded `message_name` that is too long.
pub fn check_texts(message_name: &str, bytes: prost::bytes::Bytes) -> Result<(), Status> {
    let Some(descriptor) = crate::rpc::DESCRIPTORS.get_message_by_name(message_name) else {
        return Ok(());
    };
    let Ok(message) = DynamicMessage::decode(descriptor, bytes) else {
        return Ok(());
    };
    match too_long(&message, "") {
        Some((field, max)) => {
            let description = format!("is longer than {max} characters");
            Err(Status::with_error_details(
                tonic::Code::InvalidArgument,
                format!("{field}: {description}"),
                ErrorDetails::with_bad_request_violation(field, description),
            ))
        }
        None => Ok(()),
    }
}

/// The path and limit of the first text field over its limit.
fn too_long(message: &DynamicMessage, prefix: &str) -> Option<(String, usize)> {
    for (field, value) in message.fields() {
        let name = field.name();
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        let max = if FREE_TEXT_FIELDS.contains(&name) {
            MAX_FREE_TEXT_CHARS
        } else if WHOLE_FILE_FIELDS.contains(&name) {
            usize::MAX
        } else {
            MAX_TEXT_CHARS
        };
        let found = match value {
            Value::List(items) => items
                .iter()
                .enumerate()
                .find_map(|(index, item)| value_too_long(item, &format!("{path}[{index}]"), max)),
            Value::Map(entries) => entries.iter().find_map(|(key, item)| {
                let key_text = match key {
                    prost_reflect::MapKey::String(text) => text.chars().take(40).collect::<String>(),
                    other => format!("{other:?}"),
                };
                if let prost_reflect::MapKey::String(text) = key
                    && text.chars().count() > MAX_TEXT_CHARS
                {
                    return Some((format!("{path}[{key_text}…]"), MAX_TEXT_CHARS));
                }
                value_too_long(item, &format!("{path}[{key_text}]"), max)
            }),
            single => value_too_long(&single, &path, max),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn value_too_long(value: &Value, path: &str, max: usize) -> Option<(String, usize)> {
    match value {
        Value::String(text) if text.len() > max && text.chars().count() > max => {
            Some((path.to_string(), max))
        }
        Value::Message(inner) => too_long(inner, path),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn long_texts_are_refused_naming_the_field_and_free_text_may_be_longer() {
        use crate::contact_tracing::v1 as ct;
        let interval = |person_id: String| ct::PresenceInterval {
            source_event_id: "e1".into(),
            person: Some(crate::common::v1::PersonRef {
                site_id: "riverside-hall".into(),
                kind: 1,
                person_id,
            }),
            ..Default::default()
        };
        let request = ct::IngestPresenceBatchRequest {
            intervals: vec![interval("p1".into()), interval("p".repeat(MAX_TEXT_CHARS + 1))],
        };
        let refused = check_texts(
            &<ct::IngestPresenceBatchRequest as prost::Name>::full_name(),
            request.encode_to_vec().into(),
        )
        .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            refused
                .get_error_details()
                .bad_request()
                .unwrap()
                .field_violations[0]
                .field,
            "intervals[1].person.person_id"
        );
        let fits = ct::IngestPresenceBatchRequest {
            intervals: vec![interval("测".repeat(MAX_TEXT_CHARS))],
        };
        assert!(
            check_texts(
                &<ct::IngestPresenceBatchRequest as prost::Name>::full_name(),
                fits.encode_to_vec().into()
            )
            .is_ok()
        );
        let note = crate::staff_health::v1::SubmitHealthReportRequest {
            note: "n".repeat(MAX_FREE_TEXT_CHARS),
            ..Default::default()
        };
        let name = <crate::staff_health::v1::SubmitHealthReportRequest as prost::Name>::full_name();
        assert!(check_texts(&name, note.encode_to_vec().into()).is_ok());
        let longer = crate::staff_health::v1::SubmitHealthReportRequest {
            note: "n".repeat(MAX_FREE_TEXT_CHARS + 1),
            ..Default::default()
        };
        assert!(check_texts(&name, longer.encode_to_vec().into()).is_err());
    }
}
