"""robots.txt (RFC 9309) for every page fetch that is not a feed: rules, their cache, the gate."""
