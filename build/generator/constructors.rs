//! `new(required fields)` for every struct typify generates with named
//! fields: the required fields as arguments, in the spec's order, every
//! optional field unset and no unknown fields.
//!
//! Hand-written code makes values through these (`src/backend.rs`), never
//! through struct literals that list every field: a literal stops compiling
//! when the spec adds an optional property, a constructor does not.

use quote::quote;

/// Adds the constructors to the structs of the `types` module in `items`.
pub(crate) fn add(items: &mut [syn::Item]) {
    let Some(types) = items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    }) else {
        return;
    };
    let mut constructors = Vec::new();
    for item in types.1.iter() {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let syn::Fields::Named(fields) = &item.fields else {
            continue;
        };
        let name = &item.ident;
        let mut arguments = Vec::new();
        let mut values = Vec::new();
        for field in &fields.named {
            let ident = field.ident.as_ref().expect("named fields have names");
            match unset(field) {
                Some(default) => values.push(quote!(#ident: #default)),
                None => {
                    let ty = &field.ty;
                    arguments.push(quote!(#ident: #ty));
                    values.push(quote!(#ident));
                }
            }
        }
        let doc = format!(
            " A `{name}` holding the required fields given; every optional field is unset."
        );
        constructors.push(syn::parse_quote! {
            impl #name {
                #[doc = #doc]
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#arguments),*) -> Self {
                    #name { #(#values),* }
                }
            }
        });
    }
    types.1.extend(constructors);
}

/// What an optional field starts as: its serde default (`None`, an empty
/// list or map, or the schema's `default` through typify's function), or
/// `None` when the field is required.
fn unset(field: &syn::Field) -> Option<proc_macro2::TokenStream> {
    let mut default = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                default = Some(match meta.input.peek(syn::Token![=]) {
                    true => {
                        let path = meta.value()?.parse::<syn::LitStr>()?.parse::<syn::Path>()?;
                        quote!(#path())
                    }
                    false => quote!(::std::default::Default::default()),
                });
            } else if meta.path.is_ident("flatten") {
                default.get_or_insert(quote!(::std::default::Default::default()));
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    let optional = matches!(&field.ty, syn::Type::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
    match (default, optional) {
        (Some(default), _) => Some(default),
        (None, true) => Some(quote!(::std::option::Option::None)),
        (None, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constructors(types: &str) -> String {
        // Only the `types` module's structs get constructors.
        let mut file: syn::File = syn::parse_str(&format!(
            "pub mod other {{ pub struct Elsewhere {{ pub a: String }} }} pub mod types {{ {types} }}"
        ))
        .unwrap();
        add(&mut file.items);
        prettyplease::unparse(&file)
    }

    #[test]
    fn required_fields_are_arguments_and_the_rest_start_unset() {
        let text = constructors(
            r#"
            pub struct HealthCheck {
                #[serde(rename = "type")]
                pub type_: crate::HealthCheckType,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub path: Option<String>,
                pub port: ::std::option::Option<u16>,
                #[serde(default = "defaults::health_check_tries")]
                pub tries: u8,
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub hosts: Vec<String>,
                pub name: String,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            }
            pub struct Tuple(String);
            pub enum NotAStruct { A }
            "#,
        );
        assert!(
            text.contains("pub fn new(type_: crate::HealthCheckType, name: String) -> Self"),
            "{text}"
        );
        assert!(
            text.contains("path: ::std::default::Default::default()"),
            "{text}"
        );
        assert!(text.contains("port: ::std::option::Option::None"), "{text}");
        assert!(
            text.contains("tries: defaults::health_check_tries()"),
            "{text}"
        );
        assert!(
            text.contains("hosts: ::std::default::Default::default()"),
            "{text}"
        );
        assert!(
            text.contains("extra: ::std::default::Default::default()"),
            "{text}"
        );
        assert_eq!(text.matches("pub fn new").count(), 1, "{text}");
        assert!(!text.contains("impl Elsewhere"), "{text}");
    }
}
