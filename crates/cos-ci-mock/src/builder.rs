//! `MockServer::builder()`: a server with a chosen configuration and operations of the user's
//! own — loaded from YAML at run time or built in code — next to the built-in ones.

use std::net::SocketAddr;
use std::sync::Arc;

use cos_ci_validate::OpSpec;

use crate::config::Config;
use crate::processors::ProcessError;
use crate::route::{Serve, Served, StandInFn, StandInInput};
use crate::{MockError, MockServer};

/// An operation a server serves besides the built-in ones.
///
/// ```
/// use cos_ci_mock::{MockOperation, StandInInput};
///
/// let spec = cos_ci_validate::find_operation("AIEnhanceImage").unwrap();
/// // The stand-in the spec's `mock.processor` names (here `enhance`)...
/// let standard = MockOperation::new(spec);
/// // ... or the user's own: the answer's bytes, or the COS error to answer with.
/// let echo = MockOperation::with_stand_in(spec, |input: StandInInput<'_>| Ok(input.input.to_vec()));
/// assert_eq!(standard.spec().name, echo.spec().name);
/// ```
#[derive(Clone)]
pub struct MockOperation {
    spec: &'static OpSpec,
    stand_in: Option<Arc<StandInFn>>,
}

impl std::fmt::Debug for MockOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockOperation")
            .field("spec", &self.spec.name)
            .field("stand_in", &self.stand_in.as_ref().map(|_| "closure"))
            .finish()
    }
}

impl MockOperation {
    /// `spec` answered by the built-in stand-in its `processor` names: for an image answer
    /// one of the image stand-ins (`service.yaml` `processors`, [`crate::processors::StandIn`]),
    /// its inputs fed from each request's parameters as `spec.processor.inputs` maps them;
    /// for an XML answer, the document built from its node tree (sample values, typed
    /// placeholders, the input's width and height). A stand-in that `spec` cannot feed (an
    /// input without a parameter, or without a value when a request leaves it out) makes the
    /// server refuse to start.
    pub fn new(spec: &'static OpSpec) -> Self {
        MockOperation {
            spec,
            stand_in: None,
        }
    }

    /// `spec` answered by `stand_in`, run on the blocking pool within the processing budget
    /// after the signature, permissions, parameters and input size are checked. An answer
    /// that is an image is typed and measured from its bytes; anything else is sent as the
    /// operation's document (`application/xml` for an XML operation).
    pub fn with_stand_in<F>(spec: &'static OpSpec, stand_in: F) -> Self
    where
        F: Fn(StandInInput<'_>) -> Result<Vec<u8>, ProcessError> + Send + Sync + 'static,
    {
        MockOperation {
            spec,
            stand_in: Some(Arc::new(stand_in)),
        }
    }

    /// The operation's description.
    pub fn spec(&self) -> &'static OpSpec {
        self.spec
    }

    fn served(self) -> Result<Served, String> {
        match self.stand_in {
            Some(f) => Ok(Served {
                spec: self.spec,
                serve: Serve::Custom(f),
            }),
            None => Served::standard(self.spec),
        }
    }
}

/// Builds a [`MockServer`]: `MockServer::builder().config(..).operation(..).start().await`.
#[derive(Debug, Default)]
#[must_use]
pub struct MockServerBuilder {
    config: Option<Config>,
    operations: Vec<MockOperation>,
}

impl MockServerBuilder {
    /// The configuration (default: [`Config::default`] on a free loopback port).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Serves `operation` too. Its name must not be one the server already serves.
    pub fn operation(mut self, operation: MockOperation) -> Self {
        self.operations.push(operation);
        self
    }

    /// Serves every one of `operations` too.
    pub fn operations(mut self, operations: impl IntoIterator<Item = MockOperation>) -> Self {
        self.operations.extend(operations);
        self
    }

    /// Binds the configuration's `listen` address (port 0 picks a free one) and starts.
    pub async fn start(self) -> Result<MockServer, MockError> {
        let config = self.resolved_config();
        let listener = crate::bind(&config).await?;
        MockServer::serve_routes(config, listener, self.routes()?).await
    }

    /// Starts on an already bound listener.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<MockServer, MockError> {
        let config = self.resolved_config();
        MockServer::serve_routes(config, listener, self.routes()?).await
    }

    fn resolved_config(&self) -> Config {
        self.config.clone().unwrap_or_else(|| Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Config::default()
        })
    }

    fn routes(&self) -> Result<crate::route::Routes, MockError> {
        let served = self
            .operations
            .iter()
            .cloned()
            .map(MockOperation::served)
            .collect::<Result<Vec<_>, _>>()
            .map_err(MockError::Operation)?;
        crate::route::Routes::new(served).map_err(MockError::Operation)
    }
}
