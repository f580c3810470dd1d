//! The reqwest clients (one per set of extra redirect hosts, since the redirect policy lives
//! in the client) and how one request is sent: host permit, politeness turn, headers.

use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

use super::error::{error_chain, map_error};
use super::redirect::{RedirectRefused, normalize_host_pattern, redirect_refusal};
use super::{Ask, FetchError, Fetcher, HTML_ACCEPT, Inner, Started, lock};

impl Inner {
    pub(super) fn build_client(
        &self,
        allowed_hosts: Vec<String>,
    ) -> Result<reqwest::Client, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(HTML_ACCEPT));
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let previous = attempt.previous();
            let Some(origin) = previous.first() else {
                return attempt.follow();
            };
            match redirect_refusal(origin, previous, attempt.url(), &allowed_hosts) {
                Some(reason) => {
                    let to = attempt.url().to_string();
                    attempt.error(RedirectRefused { to, reason })
                }
                None => attempt.follow(),
            }
        });
        let builder = reqwest::Client::builder()
            .user_agent(self.user_agent.as_str())
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .redirect(policy)
            .gzip(true)
            .brotli(true)
            .deflate(true);
        self.network(builder)?
            .build()
            .map_err(|err| FetchError::Client {
                message: match &self.ca_file {
                    Some((path, _)) => {
                        format!(
                            "{} (settings.ca_file {})",
                            error_chain(&err),
                            path.display()
                        )
                    }
                    None => error_chain(&err),
                },
            })
    }

    /// The proxy and the trusted roots. Roots: the bundled webpki set and the operating
    /// system's store (both built into the client by reqwest's features), plus `ca_file`.
    /// Without `proxy`, reqwest reads `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`
    /// itself; with it, `NO_PROXY` still names the hosts reached directly.
    fn network(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, FetchError> {
        if let Some(url) = &self.proxy {
            let proxy = reqwest::Proxy::all(url.as_str()).map_err(|err| FetchError::Client {
                message: format!("settings.proxy: {}", error_chain(&err)),
            })?;
            builder = builder.proxy(proxy.no_proxy(reqwest::NoProxy::from_env()));
        }
        if let Some((path, certs)) = &self.ca_file {
            for der in certs {
                let cert =
                    reqwest::Certificate::from_der(der).map_err(|err| FetchError::Client {
                        message: format!(
                            "settings.ca_file {}: {}",
                            path.display(),
                            error_chain(&err)
                        ),
                    })?;
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(builder)
    }
}

impl Fetcher {
    /// The client whose redirect policy also allows `allowed_hosts`.
    pub(super) fn client(&self, allowed_hosts: &[String]) -> Result<reqwest::Client, FetchError> {
        let mut key: Vec<String> = allowed_hosts
            .iter()
            .map(|h| normalize_host_pattern(h))
            .collect();
        key.sort();
        key.dedup();
        if let Some(client) = lock(&self.inner.clients).get(&key) {
            return Ok(client.clone());
        }
        let client = self.inner.build_client(key.clone())?;
        lock(&self.inner.clients).insert(key, client.clone());
        Ok(client)
    }

    pub(super) async fn start_any_status(
        &self,
        url: &Url,
        ask: Ask<'_>,
    ) -> Result<Started, FetchError> {
        let client = self.client(ask.allowed_hosts)?;
        let permit = self.permit(url).await?;
        self.wait_turn(url).await;
        let mut request = match ask.post_body {
            Some(body) => client.post(url.clone()).body(body.to_string()),
            None => client.get(url.clone()),
        };
        if let Some(accept) = ask.accept {
            request = request.header(header::ACCEPT, accept);
        }
        for (name, value) in ask.extra {
            // Names and values are validated at config load; a bad one is skipped, not fatal.
            if let (Ok(n), Ok(v)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                request = request.header(n, v);
            }
        }
        if let Some(v) = ask.validators {
            // Validators come from earlier responses; one that is not a valid header value
            // is dropped rather than failing the fetch.
            if let Some(etag) = v
                .etag
                .as_deref()
                .and_then(|s| HeaderValue::from_str(s).ok())
            {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = v
                .last_modified
                .as_deref()
                .and_then(|s| HeaderValue::from_str(s).ok())
            {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
        }
        let response = request.send().await.map_err(|err| map_error(url, err))?;
        Ok(Started {
            response,
            _permit: permit,
        })
    }
}
