enum _PlaceholderGateway {}
