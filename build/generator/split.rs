//! progenitor's operation methods, split in two.
//!
//! Each method progenitor writes builds a request, hands it to the hooks
//! (`pre`, `exec`, `post`), and reads the answer by status. The SDK's
//! pipeline (`src/hooks.rs`) must send a request as often as its retry
//! policy says, without copying it up front, so each method is taken apart
//! here, statement by statement, into two functions beside it:
//!
//! - `<operation>_request(&self, ...)`: the statements that build the
//!   request, with the same parameters; it returns the request instead of
//!   sending it. progenitor's `api-version` header, which the API does not
//!   document, is left out.
//! - `<operation>_answer(response)`: the `match` on the answer's status, as
//!   progenitor wrote it.
//!
//! Two of progenitor's calls are swapped for the SDK's equivalents, which
//! give the same values with less work per call: the URL's `format!` (with
//! `encode_path(&value.to_string())` per path value) becomes pushes onto one
//! `String` (`src/encode.rs`), and `ResponseValue::from_response` becomes
//! `crate::hooks::from_response` (headers moved, not copied; the body read
//! in place).
//!
//! The two are progenitor's own code, moved, so the SDK sends exactly what
//! progenitor would, for every construct progenitor supports (path, query
//! and header parameters, any body, any answer). A method whose shape is
//! not the expected one, or that takes a value it would consume (a generic
//! body), is not split: the SDK then calls progenitor's method itself, and
//! the hooks' `exec` makes the retries.

use quote::{format_ident, quote, ToTokens};

/// One of progenitor's operation methods, as the SDK's methods call it.
pub(crate) struct Method {
    pub(crate) name: syn::Ident,
    /// Its generic parameters (`<'a>`, and any type parameters).
    pub(crate) generics: syn::Generics,
    /// Its parameters after `&self`, in order.
    pub(crate) inputs: Vec<(syn::Ident, syn::Type)>,
    /// `T` of `ResponseValue<T>`.
    pub(crate) ok: syn::Type,
    /// Whether `<name>_request` and `<name>_answer` were written.
    pub(crate) split: bool,
}

/// Finds the operation methods of `impl Client` in `file`, and adds the
/// split functions of those that can be split in an `impl Client` of their
/// own.
pub(crate) fn split(file: &mut syn::File) -> Result<Vec<Method>, String> {
    let mut methods = Vec::new();
    let mut added: Vec<syn::ImplItem> = Vec::new();
    for item in &file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() || !is_client(&block.self_ty) {
            continue;
        }
        for item in &block.items {
            let syn::ImplItem::Fn(function) = item else {
                continue;
            };
            if function.sig.asyncness.is_none() || !calls_hooks(function) {
                continue;
            }
            let (method, parts) = take_apart(function)?;
            if let Some(parts) = parts {
                added.extend(parts);
            }
            methods.push(method);
        }
    }
    if !added.is_empty() {
        file.items.push(syn::parse_quote! {
            impl Client { #(#added)* }
        });
    }
    Ok(methods)
}

fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}

/// Whether a method is an operation: it makes the `OperationInfo` it hands
/// the hooks.
fn calls_hooks(function: &syn::ImplItemFn) -> bool {
    function.block.stmts.iter().any(|s| binds(s, "info"))
}

/// Whether `stmt` is `let <name> = ...` (or `let mut <name>`).
fn binds(stmt: &syn::Stmt, name: &str) -> bool {
    matches!(stmt, syn::Stmt::Local(local)
        if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == name))
}

/// The method as the SDK sees it, and its two halves if it splits.
fn take_apart(function: &syn::ImplItemFn) -> Result<(Method, Option<[syn::ImplItem; 2]>), String> {
    let sig = &function.sig;
    let name = sig.ident.clone();
    let at = format!("progenitor's method {name}");
    let mut inputs = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        let syn::FnArg::Typed(typed) = input else {
            return Err(format!("{at}: an unexpected receiver"));
        };
        let syn::Pat::Ident(ident) = &*typed.pat else {
            return Err(format!("{at}: a parameter that is not a plain name"));
        };
        inputs.push((ident.ident.clone(), (*typed.ty).clone()));
    }
    let (ok, error) = result_types(&sig.output)
        .ok_or_else(|| format!("{at}: it does not return Result<ResponseValue<T>, Error<E>>"))?;
    let mut method = Method {
        name: name.clone(),
        generics: sig.generics.clone(),
        inputs,
        ok: ok.clone(),
        split: false,
    };

    let stmts = &function.block.stmts;
    let info = stmts.iter().position(|s| binds(s, "info"));
    let answer = match stmts.last() {
        Some(syn::Stmt::Expr(syn::Expr::Match(answer), None)) => Some(answer),
        _ => None,
    };
    let consumes = sig.generics.type_params().next().is_some();
    let (Some(info), Some(answer), false) = (info, answer, consumes) else {
        return Ok((method, None));
    };
    let building = &stmts[..info];
    if !building.iter().any(|s| binds(s, "request")) {
        return Ok((method, None));
    }
    let building: Vec<syn::Stmt> = building
        .iter()
        .filter(|s| !s.to_token_stream().to_string().contains("\"api-version\""))
        .map(|s| url_in_place(s).unwrap_or_else(|| s.clone()))
        .collect();
    let building = without_empty_headers(building);
    let answer: syn::ExprMatch = syn::parse2(swap_from_response(answer.to_token_stream()))
        .map_err(|e| format!("{at}: the answer does not parse once rewritten: {e}"))?;
    let generics = &sig.generics;
    let params = sig.inputs.iter().skip(1);
    let request = format_ident!("{name}_request");
    let read = format_ident!("{name}_answer");
    let doc_request =
        format!(" The request `{name}` sends, built as progenitor builds it; no token, no hooks.");
    let doc_answer = format!(" Reads an answer to `{name}` as progenitor reads it.");
    let parts = [
        syn::parse_quote! {
            #[doc = #doc_request]
            #[allow(unused_mut, clippy::all)]
            pub(crate) fn #request #generics(&'a self, #(#params),*) -> Result<reqwest::Request, Error<#error>> {
                #(#building)*
                Ok(request)
            }
        },
        syn::parse_quote! {
            #[doc = #doc_answer]
            pub(crate) async fn #read(response: reqwest::Response) -> Result<ResponseValue<#ok>, Error<#error>> {
                #answer
            }
        },
    ];
    method.split = true;
    Ok((method, Some(parts)))
}

/// `let url = format!("{}/x/{}", self.baseurl, encode_path(&id.to_string()));`
/// as pushes onto one `String`: `None` when the statement is not of that
/// shape (it then stays as progenitor wrote it).
fn url_in_place(stmt: &syn::Stmt) -> Option<syn::Stmt> {
    use syn::{punctuated::Punctuated, Expr, Token};
    let syn::Stmt::Local(local) = stmt else {
        return None;
    };
    if !matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "url") {
        return None;
    }
    let Expr::Macro(call) = &*local.init.as_ref()?.expr else {
        return None;
    };
    if !call.mac.path.is_ident("format") {
        return None;
    }
    let args = call
        .mac
        .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        .ok()?;
    let mut args = args.into_iter();
    let Some(Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(template),
        ..
    })) = args.next()
    else {
        return None;
    };
    let template = template.value();
    let pieces: Vec<&str> = template.split("{}").collect();
    let args: Vec<Expr> = args.collect();
    if pieces.iter().any(|p| p.contains(['{', '}'])) || pieces.len() != args.len() + 1 {
        return None;
    }
    let mut pushes = Vec::new();
    let mut capacity = 0usize;
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            let arg = &args[i - 1];
            match encoded_value(arg) {
                Some(value) => {
                    capacity += 16;
                    pushes.push(quote!(crate::encode::push_path_value(&mut url, &#value);));
                }
                None => {
                    capacity += 64;
                    pushes.push(quote!(crate::encode::push(&mut url, &#arg);));
                }
            }
        }
        if !piece.is_empty() {
            capacity += piece.len();
            pushes.push(quote!(url.push_str(#piece);));
        }
    }
    Some(syn::parse_quote! {
        let url = {
            let mut url = ::std::string::String::with_capacity(#capacity);
            #(#pushes)*
            url
        };
    })
}

/// `statements` without the header map when nothing is put in it (the
/// `api-version` header left out, an operation without header parameters):
/// its `let` and the `.headers(header_map)` that merges it into the request.
fn without_empty_headers(statements: Vec<syn::Stmt>) -> Vec<syn::Stmt> {
    let mentions = |stmt: &syn::Stmt| {
        stmt.to_token_stream()
            .into_iter()
            .flat_map(flatten)
            .filter(|t| t.to_string() == "header_map")
            .count()
    };
    let declared = statements.iter().position(|s| binds(s, "header_map"));
    let merged = statements.iter().position(|s| binds(s, "request"));
    let (Some(declared), Some(merged)) = (declared, merged) else {
        return statements;
    };
    // Declared once, merged once, used nowhere else.
    let total: usize = statements.iter().map(mentions).sum();
    if total != 2 || mentions(&statements[declared]) != 1 || mentions(&statements[merged]) != 1 {
        return statements;
    }
    let mut statements = statements;
    let syn::Stmt::Local(local) = &mut statements[merged] else {
        return statements;
    };
    let Some(init) = local.init.as_mut() else {
        return statements;
    };
    if !drop_call(&mut init.expr, "headers", "header_map") {
        return statements;
    }
    statements.remove(declared);
    statements
}

/// Every token of `tree`, groups opened.
fn flatten(tree: proc_macro2::TokenTree) -> Vec<proc_macro2::TokenTree> {
    match tree {
        proc_macro2::TokenTree::Group(group) => {
            group.stream().into_iter().flat_map(flatten).collect()
        }
        other => vec![other],
    }
}

/// Removes `.method(argument)` from the method-call chain `expr` (looking
/// through a trailing `?`); whether it was there.
fn drop_call(expr: &mut syn::Expr, method: &str, argument: &str) -> bool {
    match expr {
        syn::Expr::Try(tried) => drop_call(&mut tried.expr, method, argument),
        syn::Expr::MethodCall(call) => {
            let is_it = call.method == method
                && call.args.len() == 1
                && call.args[0].to_token_stream().to_string() == argument;
            if is_it {
                *expr = (*call.receiver).clone();
                true
            } else {
                drop_call(&mut call.receiver, method, argument)
            }
        }
        _ => false,
    }
}

/// `X` of `encode_path(&X.to_string())`.
fn encoded_value(arg: &syn::Expr) -> Option<&syn::Expr> {
    let syn::Expr::Call(call) = arg else {
        return None;
    };
    let syn::Expr::Path(function) = &*call.func else {
        return None;
    };
    let named = function.path.segments.last().map(|s| s.ident.to_string());
    if named.as_deref() != Some("encode_path") || call.args.len() != 1 {
        return None;
    }
    let syn::Expr::Reference(reference) = &call.args[0] else {
        return None;
    };
    match &*reference.expr {
        syn::Expr::MethodCall(to_string)
            if to_string.method == "to_string" && to_string.args.is_empty() =>
        {
            Some(&to_string.receiver)
        }
        _ => None,
    }
}

/// `tokens` with every `ResponseValue::from_response` read as
/// `crate::hooks::from_response`.
fn swap_from_response(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, TokenTree};
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let is = |at: usize, text: &str| tokens.get(at).is_some_and(|t| t.to_string() == text);
        if is(i, "ResponseValue") && is(i + 1, ":") && is(i + 2, ":") && is(i + 3, "from_response")
        {
            out.extend(quote!(crate::hooks::from_response));
            i += 4;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), swap_from_response(group.stream()));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// `T` and `E` of `-> Result<ResponseValue<T>, Error<E>>`.
fn result_types(output: &syn::ReturnType) -> Option<(syn::Type, syn::Type)> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let [ok, error] = generic_arguments(ty, "Result")?;
    let [ok] = generic_arguments(&ok, "ResponseValue")?;
    let [error] = generic_arguments(&error, "Error")?;
    Some((ok, error))
}

/// The type arguments of `Name<A, B, ...>`, when there are `N`.
fn generic_arguments<const N: usize>(ty: &syn::Type, name: &str) -> Option<[syn::Type; N]> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let types: Vec<syn::Type> = arguments
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    types.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ty: &impl ToTokens) -> String {
        quote!(#ty).to_string()
    }

    /// progenitor 0.15's shape of an operation method.
    const METHOD: &str = r#"
        impl Client {
            pub async fn get_x<'a>(&'a self, id: &'a str, limit: Option<u32>) -> Result<ResponseValue<types::X>, Error<types::Error>> {
                let url = format!("{}/x/{}", self.baseurl, encode_path(&id.to_string()));
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                header_map.append(::reqwest::header::HeaderName::from_static("api-version"), ::reqwest::header::HeaderValue::from_static(Self::api_version()));
                #[allow(unused_mut)]
                let mut request = self.client.get(url).query(&progenitor_client::QueryParam::new("limit", &limit)).headers(header_map).build()?;
                let info = OperationInfo { operation_id: "get_x" };
                self.pre(&mut request, &info).await?;
                let result = self.exec(request, &info).await;
                self.post(&result, &info).await?;
                let response = result?;
                match response.status().as_u16() {
                    200u16 => ResponseValue::from_response(response).await,
                    _ => Err(Error::UnexpectedResponse(response)),
                }
            }
            pub fn baseurl(&self) -> &String { &self.baseurl }
            pub async fn ping(&self) {}
            pub fn not_async(&self) { let info = 1; }
        }
        impl ClientHooks for Client {
            async fn exec(&self) { let info = OperationInfo { operation_id: "x" }; }
        }
        impl Other {
            pub async fn elsewhere(&self) { let info = OperationInfo { operation_id: "y" }; }
        }
    "#;

    #[test]
    fn an_operation_splits_into_its_request_and_its_answer() {
        let mut file: syn::File = syn::parse_str(METHOD).unwrap();
        let methods = split(&mut file).unwrap();
        // Not ping (no hooks), not_async, the trait's exec, Other's method.
        assert_eq!(methods.len(), 1, "only the operation");
        let method = &methods[0];
        assert_eq!(method.name, "get_x");
        assert!(method.split);
        assert_eq!(text(&method.ok), "types :: X");
        let inputs: Vec<String> = method
            .inputs
            .iter()
            .map(|(n, t)| format!("{n}: {}", text(t)))
            .collect();
        assert_eq!(inputs, ["id: & 'a str", "limit: Option < u32 >"]);

        assert_eq!(file.items.len(), 4, "one impl Client added");
        let added = prettyplease::unparse(&syn::File {
            items: file.items[3..].to_vec(),
            ..file.clone()
        });
        assert!(
            added.contains("pub(crate) fn get_x_request<'a>("),
            "{added}"
        );
        assert!(
            added.contains("-> Result<reqwest::Request, Error<types::Error>>"),
            "{added}"
        );
        assert!(added.contains("Ok(request)"), "{added}");
        assert!(!added.contains("api-version"), "{added}");
        assert!(!added.contains("self.exec"), "{added}");
        assert!(
            added.contains("QueryParam::new(\"limit\", &limit)"),
            "{added}"
        );
        assert!(added.contains(
            "pub(crate) async fn get_x_answer(\n        response: reqwest::Response,\n    ) -> Result<ResponseValue<types::X>, Error<types::Error>>"
        ), "{added}");
        // progenitor's answer reading swapped for the SDK's.
        assert!(
            added.contains("200u16 => crate::hooks::from_response(response).await"),
            "{added}"
        );
        // The URL written in place: the base, the literal parts, each path
        // value encoded.
        assert!(
            added.contains(
                "crate::encode::push(&mut url, &self.baseurl);\n            url.push_str(\"/x/\");\n            \
                 crate::encode::push_path_value(&mut url, &id);"
            ),
            "{added}"
        );
        assert!(!added.contains("format!"), "{added}");
        // With api-version left out, nothing goes in the header map: it goes.
        assert!(!added.contains("header_map"), "{added}");
    }

    /// A header map that gets a header (a header parameter) stays.
    #[test]
    fn a_header_map_in_use_stays() {
        let text = METHOD.replace(
            "#[allow(unused_mut)]\n                let mut request",
            "if let Some(v) = key { header_map.append(\"Idempotency-Key\", v.to_string().try_into()?); }\n                #[allow(unused_mut)]\n                let mut request",
        );
        assert_ne!(text, METHOD);
        let mut file: syn::File = syn::parse_str(&text).unwrap();
        split(&mut file).unwrap();
        let added = prettyplease::unparse(&syn::File {
            items: file.items[3..].to_vec(),
            ..file.clone()
        });
        assert!(added.contains("let mut header_map"), "{added}");
        assert!(added.contains(".headers(header_map)"), "{added}");
        let mut chain: syn::Expr = syn::parse_str("a.b(x).c(y)?").unwrap();
        assert!(!drop_call(&mut chain, "b", "y"));
        assert!(drop_call(&mut chain, "b", "x"));
        assert_eq!(chain.to_token_stream().to_string(), "a . c (y) ?");
    }

    /// A URL statement of another shape stays as progenitor wrote it.
    #[test]
    fn a_url_of_another_shape_is_left_as_it_is() {
        for statement in [
            "let url = format!(\"{}/x/{}\", self.baseurl, id);",
            "let url = format!(\"{}/x/{{literal}}\", self.baseurl);",
            "let url = format!(\"{}/x/{}\", self.baseurl);",
            "let url = concat!(\"a\", \"b\");",
            "let other = format!(\"{}\", self.baseurl);",
            "let url = encode_path(&id);",
        ] {
            let stmt: syn::Stmt = syn::parse_str(statement).unwrap();
            let rewritten = url_in_place(&stmt).map(|s| s.to_token_stream().to_string());
            match statement {
                // A plain argument is pushed as it displays.
                s if s.ends_with("self.baseurl, id);") => {
                    let text = rewritten.unwrap();
                    assert!(
                        text.contains("crate :: encode :: push (& mut url , & id)"),
                        "{text}"
                    );
                }
                _ => assert_eq!(rewritten, None, "{statement}"),
            }
        }
        let not_to_string: syn::Expr = syn::parse_str("encode_path(&id.to_owned())").unwrap();
        assert!(encoded_value(&not_to_string).is_none());
        let two: syn::Expr = syn::parse_str("encode_path(&a.to_string(), b)").unwrap();
        assert!(encoded_value(&two).is_none());
        let other: syn::Expr = syn::parse_str("escape(&a.to_string())").unwrap();
        assert!(encoded_value(&other).is_none());
    }

    #[test]
    fn a_method_that_consumes_its_body_or_has_another_shape_is_not_split() {
        let generic = METHOD.replace(
            "pub async fn get_x<'a>(&'a self, id: &'a str, limit: Option<u32>)",
            "pub async fn get_x<'a, B: Into<reqwest::Body>>(&'a self, id: &'a str, limit: Option<u32>, body: B)",
        );
        let no_match = METHOD.replace(
            "match response.status().as_u16() {\n                    200u16 => ResponseValue::from_response(response).await,\n                    _ => Err(Error::UnexpectedResponse(response)),\n                }",
            "ResponseValue::from_response(response).await",
        );
        assert_ne!(no_match, METHOD);
        for text in [generic, no_match] {
            let mut file: syn::File = syn::parse_str(&text).unwrap();
            let methods = split(&mut file).unwrap();
            assert_eq!(methods.len(), 1);
            assert!(!methods[0].split);
            assert_eq!(file.items.len(), 3, "nothing added");
        }
    }

    /// Only the whole path `ResponseValue::from_response` is swapped, at any
    /// depth; its neighbours and look-alikes stay.
    #[test]
    fn only_progenitor_s_answer_reading_is_swapped() {
        let swapped = |text: &str| {
            let tokens: proc_macro2::TokenStream = syn::parse_str(text).unwrap();
            swap_from_response(tokens).to_string()
        };
        assert_eq!(
            swapped("{ ResponseValue::from_response(r).await }"),
            "{ crate :: hooks :: from_response (r) . await }"
        );
        for same in [
            "ResponseValue::new(r)",
            "ResponseValue<T>",
            "Other::from_response(r)",
            "a + ResponseValue::from_other(r)",
            "x(ResponseValue:from_response)",
        ] {
            let tokens: proc_macro2::TokenStream = syn::parse_str(same).unwrap();
            assert_eq!(swapped(same), tokens.to_string(), "{same}");
        }
    }

    #[test]
    fn an_unexpected_return_type_is_named() {
        let text = METHOD.replace(
            "Result<ResponseValue<types::X>, Error<types::Error>>",
            "Result<types::X, ()>",
        );
        let mut file: syn::File = syn::parse_str(&text).unwrap();
        let problem = split(&mut file).err().unwrap();
        assert_eq!(
            problem,
            "progenitor's method get_x: it does not return Result<ResponseValue<T>, Error<E>>"
        );
    }
}
