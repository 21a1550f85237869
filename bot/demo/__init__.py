"""The demo district (`make demo`): agencies, dossiers, evaluations, and the links the /demo page shows."""
