"""The app's entry point: `python flaskapp.py` serves it with Flask's own server.

    cd FlaskApp && python flaskapp.py [--host 127.0.0.1] [--port 5000]
    gunicorn 'flaskapp:create_app()'          # from FlaskApp/; `make run` uses gunicorn.conf.py

The app itself is `drawadigit.web` (`create_app`, the views, the error path).
"""

import sys

from drawadigit.web import create_app, main

__all__ = ["create_app", "main"]

if __name__ == "__main__":
    sys.exit(main())
