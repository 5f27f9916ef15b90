//! Struct fields in the spec's order. typify sorts the fields of each struct
//! it generates by name (`typify-impl`'s `struct_members`, "to ensure a
//! deterministic result"), and serde writes fields in declaration order; the
//! spec's order is just as deterministic and is the page's, so bodies go
//! out with their keys in the order the vendor's page lists them. Fields the
//! spec does not list (the flattened `extra` map) stay last, in their order.

use openapiv3::{SchemaKind, Type};

/// The object schema of `components.schemas` a generated struct is named
/// after, if any.
pub(crate) fn object_schema<'a>(
    spec: &'a openapiv3::OpenAPI,
    name: &str,
) -> Option<&'a openapiv3::ObjectType> {
    let schema = spec.components.as_ref()?.schemas.get(name)?.as_item()?;
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some(object),
        _ => None,
    }
}

/// Puts the fields of each struct generated for an object schema of
/// `components.schemas` in the order of the schema's `properties`.
pub(crate) fn spec_field_order(spec: &openapiv3::OpenAPI, items: &mut [syn::Item]) {
    for item in items {
        match item {
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &mut module.content {
                    spec_field_order(spec, items);
                }
            }
            syn::Item::Struct(item) => {
                let Some(object) = object_schema(spec, &item.ident.to_string()) else {
                    continue;
                };
                let syn::Fields::Named(fields) = &mut item.fields else {
                    continue;
                };
                let mut sorted: Vec<syn::Field> = fields.named.iter().cloned().collect();
                // A stable sort: fields outside the spec keep their order, last.
                sorted.sort_by_key(|field| {
                    object
                        .properties
                        .get_index_of(&wire_name(field))
                        .unwrap_or(usize::MAX)
                });
                fields.named = sorted.into_iter().collect();
            }
            _ => {}
        }
    }
}

/// The JSON name of a generated field: its `#[serde(rename = "..")]`, else
/// its Rust name.
pub(crate) fn wire_name(field: &syn::Field) -> String {
    let mut name = field
        .ident
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                name = meta.value()?.parse::<syn::LitStr>()?.value();
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    name
}
