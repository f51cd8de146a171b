"""What the tests share: scripted and hostile servers, a forward proxy, a real Redis,
page builders, the CLI runner and the spec's strategies."""
