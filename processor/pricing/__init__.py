"""The pricer: dated prices from genai-prices, corrections and the user's prices file."""
