"""The grantee's pages: filled in by the page types issue."""


def load(log):
    log("Pages: no grantee page types yet.")
