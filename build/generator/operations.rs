//! The SDK's side of every operation, for `src/operations.rs`:
//!
//! - a method on `openscaler::Client` named by the operationId, taking the
//!   required parameters (path values, then required query or header
//!   values, then the body) and returning the operation's request builder;
//! - the builder: a setter per optional parameter, `send()` (the SDK's
//!   pipeline: input checks, token, retries, span, `openscaler::Error`),
//!   `preview()` (the dry run) and `IntoFuture`, so that
//!   `client.get_backend("42", "web").await` needs no `.send()`;
//! - `OPERATIONS`, the table of the spec's operations (for the command line
//!   and for tools), and the dynamic call behind `Client::call`;
//! - `impl Check` for each body type that `src/validate.rs` does not check
//!   by hand.
//!
//! Everything is written the same way for every operation; what the spec
//! does not say (docs, a parameter's description) is left out, not made up.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, ToTokens};

use super::{spec, split::Method, upper_camel, CHECKED};

/// How the builder holds one of progenitor's parameters.
enum Input<'a> {
    /// The body, `&'a T`: held as `Body<'a, T>`, borrowed or owned.
    Body(&'a syn::Type),
    /// A required value, an argument of the `Client` method.
    Required(&'a syn::Type),
    /// An optional value, `Option<X>` (`X` given): a setter. A borrowed
    /// `&'a T` (but `&'a str`) is held owned, so that a setter takes `T`
    /// (a number, a list, a `String`) rather than a reference to one.
    Optional(&'a syn::Type),
}

/// How an optional value is held, set and handed on.
struct Held {
    /// The field's type.
    stored: TokenStream,
    /// The setter's parameter type.
    setter: TokenStream,
    /// What the setter stores, from `value`.
    store: TokenStream,
    /// Whether it is handed on with `.as_ref()` (held owned, passed borrowed).
    as_ref: bool,
}

fn held(inner: &syn::Type) -> Held {
    match referent(inner) {
        Some(_) if is_str(inner) => Held {
            stored: quote!(::std::option::Option<#inner>),
            setter: quote!(#inner),
            store: quote!(value),
            as_ref: false,
        },
        Some(owned) if is_string(owned) => Held {
            stored: quote!(::std::option::Option<#owned>),
            setter: quote!(impl ::std::convert::Into<#owned>),
            store: quote!(value.into()),
            as_ref: true,
        },
        Some(owned) => Held {
            stored: quote!(::std::option::Option<#owned>),
            setter: quote!(#owned),
            store: quote!(value),
            as_ref: true,
        },
        None => Held {
            stored: quote!(::std::option::Option<#inner>),
            setter: quote!(#inner),
            store: quote!(value),
            as_ref: false,
        },
    }
}

fn is_string(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"))
}

/// `T` of `&'a T`.
fn referent(ty: &syn::Type) -> Option<&syn::Type> {
    match ty {
        syn::Type::Reference(r) => Some(&r.elem),
        _ => None,
    }
}

/// `T` of `Option<T>`.
fn optional(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a value of this type can be handed on again without a copy
/// (a reference, or an optional reference).
fn is_borrowed(ty: &syn::Type) -> bool {
    referent(ty).is_some() || optional(ty).is_some_and(|t| referent(t).is_some())
}

fn is_str(ty: &syn::Type) -> bool {
    referent(ty).is_some_and(|t| t.to_token_stream().to_string() == "str")
}

fn text(ty: &impl ToTokens) -> String {
    ty.to_token_stream().to_string()
}

/// Doc attributes for `text`, one per line.
fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| match line.is_empty() {
        true => String::new(),
        false => format!(" {line}"),
    });
    quote!(#(#[doc = #lines])*)
}

fn string_literal(value: &str) -> Literal {
    Literal::string(value)
}

/// The whole generated `src/operations.rs` part, as tokens.
pub(crate) fn generate(
    operations: &[spec::Operation],
    methods: &[Method],
) -> Result<TokenStream, String> {
    let mut items = Vec::new();
    let mut table = Vec::new();
    let mut arms = Vec::new();
    let mut checked_types = BTreeSet::new();
    let mut check_impls = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        let method = methods
            .iter()
            .find(|m| m.name == operation.id)
            .ok_or_else(|| {
                format!(
                    "paths.{}.{}: progenitor wrote no method for operation {}",
                    operation.path,
                    operation.method.to_lowercase(),
                    operation.id
                )
            })?;
        let inputs = classify(method);
        for (_, input) in &inputs {
            if let Input::Body(ty) = input {
                let name = ty.to_token_stream().to_string();
                let last = match ty {
                    syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                };
                let hand_checked = last.is_some_and(|l| CHECKED.contains(&l.as_str()));
                if !hand_checked && checked_types.insert(name) {
                    check_impls.push(quote! {
                        impl crate::validate::Check for #ty {}
                    });
                }
            }
        }
        items.push(builder(index, operation, method, &inputs));
        table.push(entry(operation));
        arms.push(dispatch(operation, method, &inputs));
    }
    Ok(quote! {
        /// Every operation of `openapi.yaml`, in the spec's order.
        pub static OPERATIONS: &[Operation] = &[#(#table),*];

        #(#items)*

        #(#check_impls)*

        impl crate::Client {
            /// The dynamic call: the operation `operation` with parameters
            /// and a body as JSON, sent (or, with `dry_run`, prepared).
            pub(crate) async fn dispatch(
                &self,
                operation: &str,
                params: &::serde_json::Map<::std::string::String, ::serde_json::Value>,
                body: ::std::option::Option<&::serde_json::Value>,
                dry_run: bool,
            ) -> Result<crate::dynamic::Outcome, crate::Error> {
                match operation {
                    #(#arms)*
                    _ => Err(crate::dynamic::unknown_operation(operation)),
                }
            }
        }
    })
}

/// Each of progenitor's parameters, as the builder holds it.
fn classify(method: &Method) -> Vec<(&syn::Ident, Input<'_>)> {
    method
        .inputs
        .iter()
        .map(|(ident, ty)| {
            let input = match (ident == "body", referent(ty), optional(ty)) {
                (true, Some(t), _) => Input::Body(t),
                (_, _, Some(inner)) => Input::Optional(inner),
                _ => Input::Required(ty),
            };
            (ident, input)
        })
        .collect()
}

/// The operation's entry in `OPERATIONS`.
fn entry(operation: &spec::Operation) -> TokenStream {
    let id = &operation.id;
    let method = &operation.method;
    let path = &operation.path;
    let tags = &operation.tags;
    let summary = operation.summary.as_deref().unwrap_or_default();
    let description = operation.description.as_deref().unwrap_or_default();
    let parameters = operation.parameters.iter().map(|p| {
        let name = &p.name;
        let location = format_ident!("{}", upper_camel(p.location));
        let required = p.required;
        let description = p.description.as_deref().unwrap_or_default();
        let schema = string_literal(&p.schema.to_string());
        quote! {
            Parameter {
                name: #name,
                location: Location::#location,
                required: #required,
                description: #description,
                schema: #schema,
            }
        }
    });
    let body = match &operation.body {
        Some(body) => {
            let required = body.required;
            let description = body.description.as_deref().unwrap_or_default();
            let schema = string_literal(&body.schema.to_string());
            quote!(Some(RequestBody { required: #required, description: #description, schema: #schema }))
        }
        None => quote!(None),
    };
    let idempotent = operation.idempotent;
    let key = match operation.idempotency_key() {
        Some(p) => {
            let name = &p.name;
            quote!(Some(#name))
        }
        None => quote!(None),
    };
    let success = operation.success.iter().map(|(code, _)| code);
    quote! {
        Operation {
            id: #id,
            method: #method,
            path: #path,
            tags: &[#(#tags),*],
            summary: #summary,
            description: #description,
            parameters: &[#(#parameters),*],
            body: #body,
            idempotent: #idempotent,
            idempotency_key: #key,
            success: &[#(#success),*],
        }
    }
}

/// The builder, its `Client` method and its `IntoFuture`.
fn builder(
    index: usize,
    operation: &spec::Operation,
    method: &Method,
    inputs: &[(&syn::Ident, Input<'_>)],
) -> TokenStream {
    let name = &method.name;
    let builder = format_ident!("{}", upper_camel(&operation.id));
    let generics = &method.generics;
    let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
    let ok = &method.ok;
    let id = string_literal(&operation.id);
    let request = format_ident!("{name}_request");
    let answer = format_ident!("{name}_answer");

    let fields = inputs.iter().map(|(ident, input)| match input {
        Input::Body(t) => quote!(#ident: crate::operations::Body<'a, #t>),
        Input::Required(t) => quote!(#ident: #t),
        Input::Optional(inner) => {
            let stored = held(inner).stored;
            quote!(#ident: #stored)
        }
    });
    let arguments = inputs.iter().filter_map(|(ident, input)| match input {
        Input::Body(t) => {
            Some(quote!(#ident: impl ::std::convert::Into<crate::operations::Body<'a, #t>>))
        }
        Input::Required(t) => Some(quote!(#ident: #t)),
        Input::Optional(_) => None,
    });
    let initial = inputs.iter().map(|(ident, input)| match input {
        Input::Body(_) => quote!(#ident: #ident.into()),
        Input::Required(_) => quote!(#ident),
        Input::Optional(_) => quote!(#ident: ::std::option::Option::None),
    });
    let setters = inputs.iter().filter_map(|(ident, input)| {
        let Input::Optional(inner) = input else {
            return None;
        };
        let Held { setter, store, .. } = held(inner);
        let parameter = operation.parameter(&ident.to_string());
        let mut doc = match parameter {
            Some(p) => format!("Sets `{}` (in the {}).", p.name, p.location),
            None => format!("Sets `{ident}`."),
        };
        if let Some(description) = parameter.and_then(|p| p.description.as_deref()) {
            doc = format!("{doc}\n\n{}", description.trim());
        }
        if operation
            .idempotency_key()
            .is_some_and(|k| spec::spelling(&k.name) == spec::spelling(&ident.to_string()))
        {
            doc += "\n\nWithout it, the SDK sends a fresh random key, the same on every \
                    attempt of the call, so that a retry cannot repeat the effect.";
        }
        let doc = docs(&doc);
        Some(quote! {
            #doc
            pub fn #ident(mut self, value: #setter) -> Self {
                self.#ident = ::std::option::Option::Some(#store);
                self
            }
        })
    });

    // The checks: each path value stays one segment, each body is checked
    // as its type's `Check` says.
    let checks = inputs.iter().filter_map(|(ident, input)| match input {
        Input::Body(_) => {
            Some(quote!(crate::validate::Check::check(self.#ident.get(), &mut checker);))
        }
        Input::Required(t) if is_str(t) => {
            let p = operation.parameter(&ident.to_string())?;
            (p.location == "path").then(|| {
                let wire = &p.name;
                quote!(checker.path_segment(#wire, self.#ident);)
            })
        }
        _ => None,
    });

    // The key that makes a retried POST safe, when the operation takes one.
    let key_ident = operation.idempotency_key().and_then(|key| {
        inputs.iter().find_map(|(ident, input)| match input {
            Input::Optional(inner)
                if spec::spelling(&ident.to_string()) == spec::spelling(&key.name)
                    && referent(inner).is_some_and(|t| is_str(inner) || is_string(t)) =>
            {
                Some(*ident)
            }
            _ => None,
        })
    });
    let key = key_ident
        .map(|ident| quote!(let key = crate::retry::IdempotencyKey::new(self.#ident.as_deref());));
    let pass = |moved: bool| {
        inputs
            .iter()
            .map(|(ident, input)| match input {
                _ if Some(*ident) == key_ident => quote!(::std::option::Option::Some(key.as_ref())),
                Input::Body(_) => quote!(self.#ident.get()),
                Input::Optional(inner) if held(inner).as_ref => quote!(self.#ident.as_ref()),
                Input::Required(t) | Input::Optional(t) if moved || is_borrowed(t) => {
                    quote!(self.#ident)
                }
                Input::Required(_) | Input::Optional(_) => {
                    quote!(::std::clone::Clone::clone(&self.#ident))
                }
            })
            .collect::<Vec<_>>()
    };
    let per_attempt = pass(false);
    let (send, preview) = match method.split {
        true => (
            quote! {
                crate::hooks::call(
                    generated,
                    &OPERATIONS[#index],
                    span,
                    || generated.#request(#(#per_attempt),*),
                    crate::generated::Client::#answer,
                )
                .await
            },
            quote! {
                self.check()?;
                let generated = self.client.generated();
                #key
                crate::preview::prepare(generated, generated.#request(#(#per_attempt),*))
            },
        ),
        false => {
            let moved = pass(true);
            (
                quote! {
                    crate::hooks::call_whole(
                        generated,
                        &OPERATIONS[#index],
                        span,
                        generated.#name(#(#moved),*),
                    )
                    .await
                },
                quote! {
                    self.check()?;
                    Err(crate::preview::unsupported(#id))
                },
            )
        }
    };

    let upper = &operation.method;
    let path = &operation.path;
    let mut about = String::new();
    if let Some(summary) = &operation.summary {
        about += summary.trim();
        about += "\n\n";
    }
    if let Some(description) = &operation.description {
        about += description.trim();
        about += "\n\n";
    }
    let has_optional = inputs.iter().any(|(_, i)| matches!(i, Input::Optional(_)));
    about += &format!(
        "Sends `{upper} {path}` (`{id}` in `openapi.yaml`).",
        id = operation.id
    );
    let method_doc = docs(&format!(
        "{about}\n\nReturns the request: {}`.await` it, or `.send().await`; \
         [`preview`]({builder}::preview) shows what it would send.\n\n\
         # Errors\n\n\
         [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), with nothing sent, when \
         a path value is empty, `.` or `..`, or the body breaks a rule of the spec; \
         [`ErrorKind::Status`](crate::ErrorKind::Status) when the API answers with an error; \
         [`ErrorKind::Transport`](crate::ErrorKind::Transport) and \
         [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse) when no usable \
         answer arrives.",
        match has_optional {
            true => "set the optional parameters with its setters, then ",
            false => "",
        }
    ));
    let builder_doc = docs(&format!(
        "A `{}` request, made by [`Client::{}`](crate::Client::{}).\n\n{about}",
        operation.id, operation.id, operation.id
    ));
    let send_doc = docs(&format!(
        "Sends the request through the SDK's pipeline: the checks, the token, retries as \
         the client's policy says, and `openscaler::Error` for every failure.\n\n\
         # Errors\n\nSee [`Client::{id}`](crate::Client::{id}).",
        id = operation.id
    ));
    let into_future = generics.type_params().next().is_none().then(|| {
        quote! {
            impl<'a> ::std::future::IntoFuture for #builder<'a> {
                type Output = Result<#ok, crate::Error>;
                type IntoFuture = ::std::pin::Pin<
                    ::std::boxed::Box<dyn ::std::future::Future<Output = Self::Output> + Send + 'a>,
                >;

                fn into_future(self) -> Self::IntoFuture {
                    ::std::boxed::Box::pin(self.send())
                }
            }
        }
    });

    quote! {
        impl crate::Client {
            #method_doc
            pub fn #name #impl_generics(&'a self, #(#arguments),*) -> #builder #type_generics #where_clause {
                #builder { client: self, #(#initial),* }
            }
        }

        #builder_doc
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is sent: `.await` it"]
        pub struct #builder #impl_generics #where_clause {
            client: &'a crate::Client,
            #(#fields),*
        }

        impl #impl_generics #builder #type_generics #where_clause {
            #(#setters)*

            /// The checks made before anything is sent.
            fn check(&self) -> Result<(), crate::Error> {
                #[allow(unused_mut)]
                let mut checker = crate::validate::Checker::default();
                #(#checks)*
                checker.finish().map_err(crate::Error::from)
            }

            #send_doc
            pub async fn send(self) -> Result<#ok, crate::Error> {
                self.check()?;
                let generated = self.client.generated();
                #key
                let span = ::tracing::info_span!(
                    #id,
                    operation = #id,
                    attempts = ::tracing::field::Empty,
                    status = ::tracing::field::Empty,
                    latency_ms = ::tracing::field::Empty,
                );
                #send
            }

            /// The request [`send`](Self::send) would send, without sending
            /// it: the same checks, the same building, the token shown
            /// redacted.
            ///
            /// # Errors
            ///
            /// The errors `send` reports before sending.
            pub fn preview(&self) -> Result<crate::PreparedRequest, crate::Error> {
                #preview
            }
        }

        #into_future
    }
}

/// The operation's arm of the dynamic call.
fn dispatch(
    operation: &spec::Operation,
    method: &Method,
    inputs: &[(&syn::Ident, Input<'_>)],
) -> TokenStream {
    let id = string_literal(&operation.id);
    let name = &method.name;
    let ok = &method.ok;
    if method.generics.type_params().next().is_some() || text(&method.ok).contains("ByteStream") {
        return quote!(#id => Err(crate::dynamic::unsupported(#id)),);
    }
    let known: Vec<&str> = operation
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut reads = Vec::new();
    let mut arguments = Vec::new();
    let mut setters = Vec::new();
    for (ident, input) in inputs {
        let local = format_ident!("arg_{ident}");
        let wire = operation
            .parameter(&ident.to_string())
            .map_or_else(|| ident.to_string(), |p| p.name.clone());
        match input {
            Input::Body(t) => {
                reads.push(quote!(let #local: #t = crate::dynamic::body(body)?;));
                arguments.push(quote!(&#local));
            }
            Input::Required(t) => match referent(t) {
                Some(_) if is_str(t) => {
                    reads.push(quote!(let #local: &str = crate::dynamic::string(params, #wire)?;));
                    arguments.push(quote!(#local));
                }
                Some(inner) => {
                    reads.push(
                        quote!(let #local: #inner = crate::dynamic::required(params, #wire)?;),
                    );
                    arguments.push(quote!(&#local));
                }
                None => {
                    reads.push(quote!(let #local: #t = crate::dynamic::required(params, #wire)?;));
                    arguments.push(quote!(#local));
                }
            },
            Input::Optional(inner) => {
                match referent(inner) {
                    Some(_) if is_str(inner) => {
                        reads.push(
                            quote!(let #local = crate::dynamic::optional_string(params, #wire)?;),
                        );
                        setters.push(quote!(if let Some(value) = #local { request = request.#ident(value); }));
                    }
                    Some(referred) => {
                        reads.push(quote!(let #local: Option<#referred> = crate::dynamic::optional(params, #wire)?;));
                        setters.push(quote!(if let Some(value) = #local { request = request.#ident(value); }));
                    }
                    None => {
                        reads.push(quote!(let #local: Option<#inner> = crate::dynamic::optional(params, #wire)?;));
                        setters.push(quote!(if let Some(value) = #local { request = request.#ident(value); }));
                    }
                }
            }
        }
    }
    quote! {
        #id => {
            crate::dynamic::only(params, &[#(#known),*])?;
            #(#reads)*
            #[allow(unused_mut)]
            let mut request = self.#name(#(#arguments),*);
            #(#setters)*
            match dry_run {
                true => Ok(crate::dynamic::Outcome::Prepared(request.preview()?)),
                false => crate::dynamic::output::<#ok>(request.send().await?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `text` holds `part`, whitespace aside (the generated code
    /// is formatted by prettyplease, whose line breaks do not matter).
    fn has(text: &str, part: &str) -> bool {
        // Whitespace and trailing commas are prettyplease's layout.
        let flat = |s: &str| {
            s.split_whitespace()
                .collect::<String>()
                .replace(",)", ")")
                .replace(",]", "]")
                .replace(",}", "}")
        };
        flat(text).contains(flat(part).trim_end_matches(','))
    }

    fn method(signature: &str, split: bool) -> Method {
        let function: syn::ImplItemFn = syn::parse_str(&format!("{signature} {{}}")).unwrap();
        let sig = function.sig;
        let inputs = sig
            .inputs
            .iter()
            .skip(1)
            .map(|input| match input {
                syn::FnArg::Typed(t) => match &*t.pat {
                    syn::Pat::Ident(p) => (p.ident.clone(), (*t.ty).clone()),
                    _ => unreachable!(),
                },
                _ => unreachable!(),
            })
            .collect();
        Method {
            name: sig.ident.clone(),
            generics: sig.generics.clone(),
            inputs,
            ok: syn::parse_quote!(types::Backend),
            split,
        }
    }

    fn operation(text: &str) -> spec::Operation {
        let spec: openapiv3::OpenAPI = serde_yaml::from_str(&format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{text}"
        ))
        .unwrap();
        spec::operations(&spec).unwrap().remove(0)
    }

    fn generated(operation: &spec::Operation, method: &Method) -> String {
        let tokens = generate(
            std::slice::from_ref(operation),
            std::slice::from_ref(method),
        )
        .unwrap();
        prettyplease::unparse(&syn::parse2(tokens).unwrap())
    }

    const CREATE: &str = "  /lbs/{lb_id}/backends:\n    post:\n      operationId: create_backend\n      \
        summary: Create a Backend\n      parameters:\n        \
        - {name: lb_id, in: path, required: true, schema: {type: string}}\n        \
        - {name: n, in: path, required: true, schema: {type: integer}}\n        \
        - {name: ids, in: query, required: true, schema: {type: array, items: {type: string}}}\n        \
        - {name: cursor, in: query, schema: {type: string}}\n        \
        - {name: Idempotency-Key, in: header, description: A unique key., schema: {type: string}}\n        \
        - {name: limit, in: query, schema: {type: integer}}\n        \
        - {name: size, in: query, schema: {type: integer}}\n        \
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}\n      \
        requestBody: {required: true, content: {application/json: {schema: {type: object}}}}\n      \
        responses: {'201': {description: made}}\n";

    fn create() -> (spec::Operation, Method) {
        (
            operation(CREATE),
            method(
                "pub async fn create_backend<'a>(&'a self, lb_id: &'a str, n: i64, ids: &'a Vec<String>, \
                 cursor: Option<&'a str>, idempotency_key: Option<&'a str>, limit: Option<u64>, \
                 size: Option<&'a u16>, tags: Option<&'a Vec<String>>, body: &'a types::Backend) -> X",
                true,
            ),
        )
    }

    #[test]
    fn required_values_are_arguments_and_optional_ones_setters() {
        let (operation, method) = create();
        let text = generated(&operation, &method);
        assert!(has(&text, "pub fn create_backend<'a>(&'a self, lb_id: &'a str, n: i64, ids: &'a Vec<String>, \
            body: impl ::std::convert::Into<crate::operations::Body<'a, types::Backend>>,) -> CreateBackend<'a>"), "{text}");
        // A borrowed optional value is held owned: the setter takes it whole.
        for setter in [
            "pub fn cursor(mut self, value: &'a str) -> Self",
            "pub fn idempotency_key(mut self, value: &'a str) -> Self",
            "pub fn limit(mut self, value: u64) -> Self",
            "pub fn size(mut self, value: u16) -> Self",
            "pub fn tags(mut self, value: Vec<String>) -> Self",
        ] {
            assert!(has(&text, setter), "{setter}\n{text}");
        }
        assert!(
            has(&text, "/// Sets `Idempotency-Key` (in the header)."),
            "{text}"
        );
        assert!(has(&text, "/// A unique key."), "{text}");
        assert_eq!(
            text.matches("Without it, the SDK sends a fresh random key")
                .count(),
            1,
            "{text}"
        );
        assert!(has(&text, "Create a Backend"), "{text}");
        assert!(has(&text, "Sends `POST /lbs/{lb_id}/backends`"), "{text}");
    }

    #[test]
    fn send_checks_fills_the_key_and_goes_through_the_pipeline() {
        let (operation, method) = create();
        let text = generated(&operation, &method);
        // Only the string path value is checked as a segment.
        assert!(
            has(&text, "checker.path_segment(\"lb_id\", self.lb_id);"),
            "{text}"
        );
        assert_eq!(text.matches("path_segment").count(), 1, "{text}");
        assert!(
            has(
                &text,
                "crate::validate::Check::check(self.body.get(), &mut checker);"
            ),
            "{text}"
        );
        assert!(
            has(
                &text,
                "let key = crate::retry::IdempotencyKey::new(self.idempotency_key.as_deref());"
            ),
            "{text}"
        );
        // Each attempt gets borrowed values as they are, owned ones copied or
        // borrowed, the key from the call.
        let request = "generated.create_backend_request(self.lb_id, ::std::clone::Clone::clone(&self.n), \
            self.ids, self.cursor, ::std::option::Option::Some(key.as_ref()), \
            ::std::clone::Clone::clone(&self.limit), self.size.as_ref(), self.tags.as_ref(), self.body.get(),)";
        assert!(has(&text, request), "{text}");
        assert!(
            has(&text, "crate::generated::Client::create_backend_answer"),
            "{text}"
        );
        assert!(has(&text, "&OPERATIONS[0usize]"), "{text}");
        assert!(
            has(
                &text,
                "::tracing::info_span!(\"create_backend\", operation = \"create_backend\""
            ),
            "{text}"
        );
        assert!(
            has(
                &text,
                "impl<'a> ::std::future::IntoFuture for CreateBackend<'a>"
            ),
            "{text}"
        );
        // The body type is checked by the trait's default (not in CHECKED).
        assert!(
            !has(&text, "impl crate::validate::Check for types::Backend"),
            "{text}"
        );
    }

    #[test]
    fn the_table_describes_the_operation() {
        let (operation, method) = create();
        let text = generated(&operation, &method);
        assert!(has(&text, "id: \"create_backend\""), "{text}");
        assert!(has(&text, "method: \"POST\""), "{text}");
        assert!(has(&text, "idempotent: true"), "{text}");
        assert!(
            has(&text, "idempotency_key: Some(\"Idempotency-Key\")"),
            "{text}"
        );
        assert!(has(&text, "location: Location::Header"), "{text}");
        assert!(
            has(&text, "schema: \"{\\\"type\\\":\\\"integer\\\"}\""),
            "{text}"
        );
        assert!(has(&text, "success: &[\"201\"]"), "{text}");
    }

    #[test]
    fn the_dynamic_call_reads_each_value_by_its_wire_name() {
        let (operation, method) = create();
        let text = generated(&operation, &method);
        for read in [
            "crate::dynamic::only(params, &[\"lb_id\", \"n\", \"ids\", \"cursor\", \"Idempotency-Key\", \"limit\", \"size\", \"tags\",],)?;",
            "let arg_lb_id: &str = crate::dynamic::string(params, \"lb_id\")?;",
            "let arg_n: i64 = crate::dynamic::required(params, \"n\")?;",
            "let arg_ids: Vec<String> = crate::dynamic::required(params, \"ids\")?;",
            "let arg_cursor = crate::dynamic::optional_string(params, \"cursor\")?;",
            "let arg_idempotency_key = crate::dynamic::optional_string(params, \"Idempotency-Key\")?;",
            "let arg_limit: Option<u64> = crate::dynamic::optional(params, \"limit\")?;",
            "let arg_tags: Option<Vec<String>> = crate::dynamic::optional(params, \"tags\")?;",
            "let arg_body: types::Backend = crate::dynamic::body(body)?;",
            "let mut request = self.create_backend(arg_lb_id, arg_n, &arg_ids, &arg_body);",
            "if let Some(value) = arg_tags { request = request.tags(value); }",
            "false => { crate::dynamic::output::<types::Backend>(request.send().await?) }",
        ] {
            assert!(has(&text, read), "{read}\n{text}");
        }
    }

    #[test]
    fn an_unsplit_method_is_called_whole_and_cannot_be_previewed() {
        let operation = operation(
            "  /blobs:\n    put:\n      operationId: put_blob\n      responses: {'204': {description: ok}}\n",
        );
        let method = method(
            "pub async fn put_blob<'a, B: Into<reqwest::Body>>(&'a self, body: B) -> X",
            false,
        );
        let text = generated(&operation, &method);
        assert!(has(&text, "crate::hooks::call_whole("), "{text}");
        assert!(has(&text, "generated.put_blob(self.body)"), "{text}");
        assert!(
            has(&text, "Err(crate::preview::unsupported(\"put_blob\"))"),
            "{text}"
        );
        assert!(!has(&text, "IntoFuture"), "{text}");
        assert!(
            has(
                &text,
                "\"put_blob\" => Err(crate::dynamic::unsupported(\"put_blob\"))"
            ),
            "{text}"
        );
    }

    #[test]
    fn bodies_outside_checked_get_the_trait_s_default() {
        let operation = operation(
            "  /x:\n    put:\n      operationId: put_x\n      responses: {'204': {description: ok}}\n",
        );
        let method = method(
            "pub async fn put_x<'a>(&'a self, body: &'a types::Other) -> X",
            true,
        );
        let text = generated(&operation, &method);
        assert!(
            has(&text, "impl crate::validate::Check for types::Other {}"),
            "{text}"
        );
    }
}
