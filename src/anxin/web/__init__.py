"""HTTP: the app factory, auth, the error table and the page shell."""
