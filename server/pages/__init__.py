"""View models: what the store answers, turned into what a template shows. Views stay thin:
they read the request, call the library, pick a page or a format, and answer."""
