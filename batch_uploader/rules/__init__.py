"""Rules: what a row must say to be sent (dates, identifiers, couriers, tracking URLs), decided
before anything leaves, and the codes and hints that explain a refusal."""
