"""My CONNECT account (/gui/mypage): an edge over the accounts domain, no models of its own."""
