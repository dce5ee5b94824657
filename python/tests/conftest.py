import warnings

# ArviZ 0.2x announces its refactor on import; it is not about elbo.
warnings.filterwarnings("ignore", category=FutureWarning, module="arviz")
