"""Time: parsing what people write, formatting in their zone, zones, calendar files."""
