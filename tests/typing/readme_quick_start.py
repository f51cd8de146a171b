import vt_refs

# The key comes from VT_API_KEY unless given; it is sent to www.virustotal.com only.
with vt_refs.connect() as client:
    for ref in vt_refs.related_references(client, "https://example.com/login", max_items=50):
        if ref.attributes:  # UNSET, which is falsy, when the API sent none
            print(ref.attributes.title, ref.attributes.url)
